"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { z } from "zod";

import { requireUser } from "@/lib/auth/current-user";
import type { ActionState } from "@/lib/forms/action-state";
import { runAction } from "@/lib/forms/run-action";
import { parametersFromForm } from "@/lib/forms/workspace-parameters";
import { bulkStopSchema, workspaceOperationSchema } from "@/lib/schemas/workspaces";
import { idSchema } from "@/lib/schemas/fields";
import { bulkStopWorkspaces } from "@/lib/workspaces/bulk-stop";
import { changeWorkspaceSettings } from "@/lib/workspaces/change-settings";
import { operateWorkspace } from "@/lib/workspaces/operate-workspace";

const MESSAGES = {
  start: "Starting the workspace.",
  stop: "Stopping the workspace; its home is kept.",
  retry: "Retrying the start.",
  restart: "Restarting the workspace.",
  update: "Updated to the template's latest version.",
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

/** Stops every checked workspace of the team list (team owners and admins); says which it couldn't and why. */
export async function bulkStopAction(_previous: ActionState, formData: FormData): Promise<ActionState> {
  const user = await requireUser();
  const parsed = bulkStopSchema.safeParse({ workspaceIds: formData.getAll("workspaceId") });
  if (!parsed.success) return { status: "error", message: parsed.error.issues[0]!.message };
  const { stopped, refused } = await bulkStopWorkspaces(user, parsed.data.workspaceIds);
  revalidatePath("/");
  revalidatePath("/workspaces");
  const parts = [
    stopped.length > 0 ? `Stopping ${stopped.length === 1 ? "1 workspace" : `${stopped.length} workspaces`}: ${stopped.join(", ")}.` : "",
    ...refused.map(({ name, message }) => `${name}: ${message}`),
  ];
  return { status: refused.length > 0 ? "error" : "ok", message: parts.filter(Boolean).join(" ") };
}

const settingsFormSchema = z.preprocess(
  (values) => ({ workspaceId: (values as Record<string, string>).workspaceId, parameters: parametersFromForm(values as Record<string, string>) }),
  z.object({ workspaceId: idSchema, parameters: z.unknown() }),
);

/** Changes CPU, memory and mutable parameters; a running workspace restarts to apply them. */
export async function changeSettingsAction(_previous: ActionState, formData: FormData): Promise<ActionState> {
  const user = await requireUser();
  return runAction(settingsFormSchema, formData, async (input) => {
    const { changed, restarts } = await changeWorkspaceSettings(user, input);
    revalidatePath("/workspaces");
    revalidatePath(`/workspaces/${input.workspaceId}`);
    return `Changed ${changed.join(", ")}.${restarts ? " Restarting to apply." : ""}`;
  });
}
