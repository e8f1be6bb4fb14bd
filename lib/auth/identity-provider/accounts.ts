/** A person the bundled identity provider can sign in. */
export interface IdentityAccount {
  id: string;
  email: string;
  name: string;
  /** Sent as the groups claim; Podspace maps them to teams. */
  groups: string[];
  /** Shown on the login page. */
  description: string;
}

export const DEMO_TEAM = "demo";

/** The demo identity provider's users: one of each role Podspace knows. */
export const DEMO_ACCOUNTS: IdentityAccount[] = [
  {
    id: "demo-admin",
    email: "admin@podspace.dev",
    name: "Avery Admin",
    groups: ["podspace-demo-owners"],
    description: "Platform admin, owner of the demo team",
  },
  {
    id: "demo-lead",
    email: "lead@podspace.dev",
    name: "Lee Lead",
    groups: ["podspace-demo-admins"],
    description: "Team admin of the demo team",
  },
  {
    id: "demo-dev",
    email: "dev@podspace.dev",
    name: "Dana Developer",
    groups: ["podspace-demo-members"],
    description: "Member of the demo team",
  },
];

/** How the demo accounts' groups map to the demo team, merged into PODSPACE_GROUP_MAPPING. */
export const DEMO_GROUP_MAPPING = [
  { group: "podspace-demo-owners", team: DEMO_TEAM, role: "OWNER" },
  { group: "podspace-demo-admins", team: DEMO_TEAM, role: "ADMIN" },
  { group: "podspace-demo-members", team: DEMO_TEAM, role: "MEMBER" },
] as const;

export const DEMO_ADMIN_EMAILS = ["admin@podspace.dev"];
