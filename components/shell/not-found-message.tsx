import Link from "next/link";
import { Compass } from "lucide-react";

import { Button } from "@/components/ui/button";

function NotFoundMessage() {
  return (
    <div className="flex flex-col items-center gap-4 py-16 text-center">
      <div className="flex size-12 items-center justify-center rounded-full bg-muted text-muted-foreground">
        <Compass aria-hidden="true" className="size-6" />
      </div>
      <p className="text-sm font-medium text-muted-foreground">404</p>
      <h1 className="text-2xl font-semibold tracking-tight">Page not found</h1>
      <p className="max-w-sm text-sm text-muted-foreground">
        The page you were looking for doesn&apos;t exist or may have moved.
      </p>
      <Button asChild>
        <Link href="/">Go home</Link>
      </Button>
    </div>
  );
}

export { NotFoundMessage };
