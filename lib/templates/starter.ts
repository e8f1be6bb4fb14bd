// What "New template" starts from: a working code-server template on a
// Debian image, with comments that explain the fields the form doesn't show.

export const STARTER_TEMPLATE_YAML = `slug: ""
name: ""
description: ""
icon: box
tags: []
# Any image works; Podspace runs it as uid 1000 with the home volume at /home/coder.
image: codercom/code-server:4.139.1
resources:
  cpu:
    options: [1, 2, 4]
    default: 2
  memoryGiB:
    options: [2, 4, 8]
    default: 4
  diskGiB:
    min: 5
    max: 100
    default: 10
# Choices people make when creating a workspace; the startup script reads
# them as PODSPACE_PARAM_<NAME>. Types: string (options, pattern), number
# (min, max), boolean. mutable: false fixes a value at creation.
parameters: []
env:
  PATH: /home/coder/.local/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
startupScript: |
  command -v code-server >/dev/null 2>&1 || curl -fsSL https://code-server.dev/install.sh | sh -s -- --method standalone --prefix "$HOME/.local"
# The IDE: {host} and {port} are filled in by the runtime.
ide:
  command: ["code-server", "--bind-addr", "{host}:{port}", "--auth", "none", "--disable-telemetry", "--disable-update-check", "/home/coder"]
  port: 13337
  healthPath: /healthz
idleTimeoutMinutes: 60
maxLifetimeHours: 24
`;
