"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { z } from "zod";

import { requireUser } from "@/lib/auth/current-user";
import type { ActionState } from "@/lib/forms/action-state";
import { runAction } from "@/lib/forms/run-action";
import { createWorkspaceSchema } from "@/lib/schemas/workspaces";
import { createWorkspace } from "@/lib/workspaces/create-workspace";

// The form names its inputs after the paths createWorkspace reports errors
// at ("parameters.cpu", "parameters.values.<name>"), so each error lands next
// to its field. Here the flat form becomes the nested input.

const RESOURCE_FIELDS = ["cpu", "memoryGiB", "diskGiB"] as const;
const VALUES_PREFIX = "parameters.values.";

function formToInput(values: Record<string, string>) {
  const custom: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) {
    if (key.startsWith(VALUES_PREFIX)) custom[key.slice(VALUES_PREFIX.length)] = value;
  }
  const resources = Object.fromEntries(
    RESOURCE_FIELDS.flatMap((field) => (values[`parameters.${field}`] !== undefined ? [[field, values[`parameters.${field}`]]] : [])),
  );
  return {
    name: values.name,
    teamId: values.teamId,
    templateSlug: values.templateSlug,
    gitRepository: values.gitRepository,
    parameters: { ...resources, values: custom },
  };
}

const createWorkspaceFormSchema = z.preprocess((values) => formToInput(values as Record<string, string>), createWorkspaceSchema);

/** Creates the workspace and opens its page, where its start is shown live. */
export async function createWorkspaceAction(_previous: ActionState, formData: FormData): Promise<ActionState> {
  const user = await requireUser();
  let createdId: string | undefined;
  const state = await runAction(createWorkspaceFormSchema, formData, async (input) => {
    createdId = (await createWorkspace(user, input)).id;
    revalidatePath("/");
    revalidatePath("/workspaces");
    return `Creating ${input.name}.`;
  });
  // Outside runAction: redirect() works by throwing.
  if (createdId) redirect(`/workspaces/${createdId}`);
  return state;
}
