// Workspace processes get an environment built from an allow-list, never a
// copy of Podspace's own: AUTH_SECRET, DATABASE_URL and IdP secrets live in
// the server's environment and must not reach a user's shell.

const PASSED_THROUGH = ["PATH", "LANG", "LC_ALL", "TZ"] as const;

export function workspaceEnv(options: {
  home: string;
  user?: string;
  extra?: Record<string, string>;
  source?: NodeJS.ProcessEnv;
}): Record<string, string> {
  const source = options.source ?? process.env;
  const env: Record<string, string> = {};
  for (const name of PASSED_THROUGH) {
    const value = source[name];
    if (value) env[name] = value;
  }
  return {
    PATH: "/usr/local/bin:/usr/bin:/bin",
    LANG: "C.UTF-8",
    ...env,
    ...options.extra,
    HOME: options.home,
    USER: options.user ?? "coder",
    SHELL: "/bin/bash",
    TERM: "xterm-256color",
  };
}
