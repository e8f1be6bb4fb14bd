import type { Metadata } from "next";

import { WorkspacesView } from "@/components/workspaces/workspaces-view";
import { requireUser } from "@/lib/auth/current-user";

export const metadata: Metadata = {
  title: "Workspaces",
};

export default async function WorkspacesPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const user = await requireUser();
  return <WorkspacesView user={user} basePath="/workspaces" searchParams={await searchParams} />;
}
