"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { z } from "zod";

import { requestBackup } from "@/lib/backups/request-backup";
import { AppError } from "@/lib/errors";
import { formAction } from "@/lib/forms/form-action";
import { parametersFromForm } from "@/lib/forms/workspace-parameters";
import { requestBackupSchema } from "@/lib/schemas/backups";
import { bulkStopSchema, endAccessSchema, workspaceOperationSchema, type WorkspaceOperationInput } from "@/lib/schemas/workspaces";
import { idSchema } from "@/lib/schemas/fields";
import { adminAccessForm, getAdminAccess } from "@/lib/workspaces/admin-access";
import { bulkStopWorkspaces } from "@/lib/workspaces/bulk-stop";
import { changeWorkspaceSettings } from "@/lib/workspaces/change-settings";
import { endAccess } from "@/lib/workspaces/end-access";
import { operateWorkspace } from "@/lib/workspaces/operate-workspace";
import { lifetimeLabel } from "@/lib/ports/link-lifetime";
import { createPortLink, revokePortLink } from "@/lib/ports/port-links";
import { setPortShare } from "@/lib/ports/share-port";
import { createPortLinkSchema, revokePortLinkSchema, SHARED_WITH, sharePortSchema } from "@/lib/schemas/ports";

// Whether the user may act on a workspace depends on the workspace, so the
// domain functions decide.

const MESSAGES = {
  start: "Starting the workspace.",
  stop: "Stopping the workspace; its home is kept.",
  retry: "Retrying the start.",
  restart: "Restarting the workspace.",
  update: "Updated to the template's latest version.",
  delete: "Deleting the workspace and its home.",
  "delete-without-backup": "Deleting the workspace and its home, without a final backup.",
} as const satisfies Record<WorkspaceOperationInput["operation"], string>;

/** Start, stop, retry or delete (confirmed by typing the name): records the wish; the reconciler acts on it. */
export const operateWorkspaceAction = formAction({
  schema: workspaceOperationSchema.extend({
    /** Where to go afterwards: the workspace page sends its user back to the list on delete. */
    redirectTo: z.literal("/workspaces").optional(),
  }),
  async perform(user, input) {
    await operateWorkspace(user, input);
    revalidatePath("/");
    revalidatePath("/workspaces");
    if (input.operation !== "delete" && input.operation !== "delete-without-backup") revalidatePath(`/workspaces/${input.workspaceId}`);
    if (input.redirectTo) redirect(input.redirectTo);
    return MESSAGES[input.operation];
  },
});

/** Stops every checked workspace of the team list (team owners and admins); says which it couldn't and why. */
export const bulkStopAction = formAction({
  // A checkbox per row, each named workspaceId.
  lists: ["workspaceId"],
  schema: z.preprocess((values) => (values as { workspaceId?: string[] }).workspaceId ?? [], bulkStopSchema),
  async perform(user, workspaceIds) {
    const { stopped, refused } = await bulkStopWorkspaces(user, workspaceIds);
    revalidatePath("/");
    revalidatePath("/workspaces");
    const parts = [
      stopped.length > 0 ? `Stopping ${stopped.length === 1 ? "1 workspace" : `${stopped.length} workspaces`}: ${stopped.join(", ")}.` : "",
      ...refused.map(({ name, message }) => `${name}: ${message}`),
    ];
    const message = parts.filter(Boolean).join(" ");
    // Some were stopped all the same: the message says which.
    if (refused.length > 0) throw new AppError("conflict", message);
    return message;
  },
});

const settingsFormSchema = z.preprocess(
  (values) => ({ workspaceId: (values as Record<string, string>).workspaceId, parameters: parametersFromForm(values as Record<string, string>) }),
  z.object({ workspaceId: idSchema, parameters: z.unknown() }),
);

/** Changes CPU, memory and mutable parameters; a running workspace restarts to apply them. */
export const changeSettingsAction = formAction({
  schema: settingsFormSchema,
  async perform(user, input) {
    const { changed, restarts } = await changeWorkspaceSettings(user, input);
    revalidatePath("/workspaces");
    revalidatePath(`/workspaces/${input.workspaceId}`);
    return `Changed ${changed.join(", ")}.${restarts ? " Restarting to apply." : ""}`;
  },
});

/** A platform admin's access to the workspace's terminal and IDE, with a reason, for an hour; audited. */
export const getAdminAccessAction = formAction({
  ...adminAccessForm,
  async perform(user, input) {
    await getAdminAccess(user, input);
    revalidatePath(`/workspaces/${input.workspaceId}`);
    return "You can open this workspace's terminal and IDE for the next hour. Its owner can see that, and why.";
  },
});

/** Ends someone's access grant before it runs out; their open terminals and IDE close within seconds. */
export const endAccessAction = formAction({
  schema: endAccessSchema,
  async perform(user, input) {
    const { workspaceId, granteeEmail } = await endAccess(user, input);
    revalidatePath(`/workspaces/${workspaceId}`);
    return `Ended ${granteeEmail}'s access.`;
  },
});

/** Who a port's preview URL is open to (the workspace's owner only), within the team's and platform's caps. */
export const sharePortAction = formAction({
  schema: sharePortSchema,
  async perform(user, input) {
    await setPortShare(user, input);
    return `Port ${input.port} is open to ${SHARED_WITH[input.share]}.`;
  },
});

/** A signed link to one port (the workspace's owner only, when the caps allow public): its URL is shown this once. */
export const createPortLinkAction = formAction({
  schema: createPortLinkSchema,
  async perform(user, input) {
    const { url } = await createPortLink(user, input);
    return { message: `Created a link to port ${input.port} for ${lifetimeLabel(input.hours)}.`, result: { url } };
  },
});

/** Revokes a signed link: whoever holds it is refused from their next request on. */
export const revokePortLinkAction = formAction({
  schema: revokePortLinkSchema,
  async perform(user, input) {
    await revokePortLink(user, input);
    return "Link revoked: it no longer opens the port.";
  },
});

/** "Back up now": queues a backup (or finds the one under way); the page follows it until it ends. */
export const requestBackupAction = formAction({
  schema: requestBackupSchema,
  async perform(user, input) {
    await requestBackup(user, input.workspaceId);
    revalidatePath(`/workspaces/${input.workspaceId}`);
    return "Backing up the workspace's home.";
  },
});
