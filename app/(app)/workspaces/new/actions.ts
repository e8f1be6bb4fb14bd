"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { z } from "zod";

import { requireUser } from "@/lib/auth/current-user";
import type { ActionState } from "@/lib/forms/action-state";
import { runAction } from "@/lib/forms/run-action";
import { parametersFromForm } from "@/lib/forms/workspace-parameters";
import { createWorkspaceSchema } from "@/lib/schemas/workspaces";
import { createWorkspace } from "@/lib/workspaces/create-workspace";

function formToInput(values: Record<string, string>) {
  return {
    name: values.name,
    teamId: values.teamId,
    templateSlug: values.templateSlug,
    gitRepository: values.gitRepository,
    parameters: parametersFromForm(values),
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
