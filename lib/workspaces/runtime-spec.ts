import { workspaceAiEnv } from "@/lib/ai/workspace-env";
import type { Prisma } from "@/lib/generated/prisma/client";
import { parameterEnv } from "@/lib/templates/environment";
import type { WorkspaceParameters } from "@/lib/templates/parameters";
import { templateSpec } from "@/lib/templates/spec";
import type { WorkspaceSpec } from "@/lib/runtime/types";

/** What to load with a workspace to hand it to the runtime. */
export const runtimeSpecInclude = {
  team: { select: { slug: true } },
  templateVersion: { select: { version: true, spec: true, template: { select: { slug: true } } } },
} satisfies Prisma.WorkspaceInclude;

export type WorkspaceForRuntime = Prisma.WorkspaceGetPayload<{ include: typeof runtimeSpecInclude }>;

/** The runtime's view of a workspace: its pinned template version with the parameters it was created with. */
export function toRuntimeSpec(workspace: WorkspaceForRuntime): WorkspaceSpec {
  const template = templateSpec.parse(workspace.templateVersion.spec);
  const parameters = workspace.parameters as unknown as WorkspaceParameters;
  const ai = workspaceAiEnv(workspace);
  return {
    id: workspace.id,
    name: workspace.name,
    teamSlug: workspace.team.slug,
    ownerId: workspace.ownerId,
    templateSlug: workspace.templateVersion.template.slug,
    templateVersion: workspace.templateVersion.version,
    image: template.image,
    resources: {
      cpuMillicores: Math.round(parameters.cpu * 1000),
      memoryMiB: Math.round(parameters.memoryGiB * 1024),
      diskGiB: parameters.diskGiB,
    },
    env: {
      ...template.env,
      PODSPACE_WORKSPACE_NAME: workspace.name,
      ...parameterEnv(parameters.values),
      ...(workspace.gitRepository ? { PODSPACE_GIT_REPOSITORY: workspace.gitRepository } : {}),
      ...ai.env,
    },
    secretEnv: ai.secretEnv,
    startupScript: workspace.gitRepository
      ? // Clone on first start only: an existing checkout is the user's work.
        `if [ -n "$PODSPACE_GIT_REPOSITORY" ] && [ ! -e "$HOME/.podspace-cloned" ]; then git clone -- "$PODSPACE_GIT_REPOSITORY" "$HOME/$(basename "$PODSPACE_GIT_REPOSITORY" .git)" && touch "$HOME/.podspace-cloned"; fi\n${template.startupScript}`
      : template.startupScript,
    ide: template.ide,
    scheduling: template.scheduling,
  };
}
