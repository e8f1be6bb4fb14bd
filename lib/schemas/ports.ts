import { z } from "zod";
import { LINK_MAX_HOURS } from "@/lib/ports/link-lifetime";
import { shareLevel, type ShareLevel } from "@/lib/ports/share-level";
import { idSchema } from "./fields";

// The forms that share a workspace's ports (the ports list) and cap how
// far a team's may be shared (the team's settings). The domain functions
// in lib/ports check the rest: who may, and the caps.

/** A TCP port as a hidden field (or a path, the API's port forwarding) carries it. */
const notAPort = { error: "Not a port number." };
export const portField = z.coerce.number(notAPort).int(notAPort).min(1, notAPort).max(65_535, notAPort);

export const sharePortSchema = z.object({ workspaceId: idSchema, port: portField, share: shareLevel });

export const createPortLinkSchema = z.object({
  workspaceId: idSchema,
  port: portField,
  hours: z.coerce
    .number({ error: "Choose how long the link lasts." })
    .int({ error: "Choose how long the link lasts." })
    .min(1, { error: "A link lasts at least an hour." })
    .max(LINK_MAX_HOURS, { error: "A link lasts at most 7 days." }),
});

export const revokePortLinkSchema = z.object({ linkId: idSchema });

export const portShareCapSchema = z.object({ teamId: idSchema, maxShare: shareLevel });

/** Who a port is open to, as its owner is told ("Port 3000 is open to your team."). */
export const SHARED_WITH: Record<ShareLevel, string> = { owner: "only you", team: "your team", authenticated: "anyone signed in", public: "anyone" };

/** The team cap's choices, as its settings name them. */
export const SHARE_CAP_LABELS: Record<ShareLevel, string> = {
  owner: "Each workspace's owner only",
  team: "Members of this team",
  authenticated: "Anyone signed in to Podspace",
  public: "Anyone (public ports, signed links)",
};
