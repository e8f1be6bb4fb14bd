// What an API token may do, on top of what its owner may: a token never
// reaches further than the user it belongs to, and usually much less.

export const API_SCOPES = ["read", "workspaces:write", "exec", "tokens:write", "ai", "admin"] as const;
export type ApiScope = (typeof API_SCOPES)[number];

export const SCOPE_DESCRIPTIONS: Record<ApiScope, string> = {
  read: "See templates, workspaces, their events, usage and quotas",
  "workspaces:write": "Create, start, stop, restart, change and delete workspaces",
  exec: "Run commands in workspaces and copy files in and out",
  "tokens:write": "Create and revoke your API tokens",
  ai: "Use the AI gateway's models, on a team's AI budget",
  admin: "Act with your platform or template admin rights",
};
