"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { z } from "zod";

import { requireUser } from "@/lib/auth/current-user";
import type { ActionState } from "@/lib/forms/action-state";
import { runAction } from "@/lib/forms/run-action";
import { workspaceOperationSchema } from "@/lib/schemas/workspaces";
import { operateWorkspace } from "@/lib/workspaces/operate-workspace";

const MESSAGES = {
  start: "Starting the workspace.",
  stop: "Stopping the workspace; its home is kept.",
  retry: "Retrying the start.",
  delete: "Deleting the workspace and its home.",
} as const;

const operationFormSchema = workspaceOperationSchema.extend({
  /** Where to go afterwards: the workspace page sends its user back to the list on delete. */
  redirectTo: z.literal("/workspaces").optional(),
});

/** Start, stop, retry or delete (confirmed by typing the name): records the wish; the reconciler acts on it. */
export async function operateWorkspaceAction(_previous: ActionState, formData: FormData): Promise<ActionState> {
  const user = await requireUser();
  const state = await runAction(operationFormSchema, formData, async (input) => {
    await operateWorkspace(user, input);
    revalidatePath("/");
    revalidatePath("/workspaces");
    if (input.operation !== "delete") revalidatePath(`/workspaces/${input.workspaceId}`);
    return MESSAGES[input.operation];
  });
  // Outside runAction: redirect() works by throwing.
  if (state.status === "ok" && formData.get("redirectTo") === "/workspaces") redirect("/workspaces");
  return state;
}
