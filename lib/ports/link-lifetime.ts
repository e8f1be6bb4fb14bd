// How long a signed link to a port (./port-links.ts) lasts: what the domain
// allows, and the choices its dialog offers. Without server imports, so the
// dialog and the server action share them.

/** The longest a link may last: a week. */
export const LINK_MAX_HOURS = 7 * 24;

/** The lifetimes the "Share link" dialog offers. */
export const LINK_LIFETIMES = [
  { hours: 1, label: "1 hour" },
  { hours: 24, label: "1 day" },
  { hours: LINK_MAX_HOURS, label: "7 days" },
] as const;

export const DEFAULT_LINK_HOURS = 24;

/** "1 day" for 24, else "<n> hours". */
export const lifetimeLabel = (hours: number) => LINK_LIFETIMES.find((lifetime) => lifetime.hours === hours)?.label ?? `${hours} hours`;
