import Link from "next/link";
import { Boxes } from "lucide-react";

import { Button } from "@/components/ui/button";
import { EmptyState } from "@/components/ui/empty-state";

export default function HomePage() {
  return (
    <div className="flex flex-col gap-6">
      <div className="flex flex-col gap-1">
        <h1 className="text-2xl font-semibold tracking-tight">Workspaces</h1>
        <p className="text-sm text-muted-foreground">
          Your cloud development environments, built from shared templates.
        </p>
      </div>
      <EmptyState
        icon={Boxes}
        title="No workspaces yet"
        description="Pick a template from the catalog to create your first workspace."
        action={
          <Button asChild>
            <Link href="/templates">Browse templates</Link>
          </Button>
        }
      />
    </div>
  );
}
