import { WorkspacesView } from "@/components/workspaces/workspaces-view";
import { requireUser } from "@/lib/auth/current-user";

// Home is the workspace list, the same as /workspaces.
export default async function HomePage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const user = await requireUser();
  return <WorkspacesView user={user} basePath="/" searchParams={await searchParams} />;
}
