"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { z } from "zod";

import { formAction } from "@/lib/forms/form-action";
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
    restoreFrom: values.restoreFrom,
  };
}

/** Creates the workspace and opens its page, where its start is shown live. */
export const createWorkspaceAction = formAction({
  schema: z.preprocess((values) => formToInput(values as Record<string, string>), createWorkspaceSchema),
  async perform(user, input) {
    const created = await createWorkspace(user, input);
    revalidatePath("/");
    revalidatePath("/workspaces");
    redirect(`/workspaces/${created.id}`);
  },
});
