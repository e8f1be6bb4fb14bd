// Liveness: the process is up and serving. Checks nothing else on purpose, so
// a database outage makes the pod unready rather than restarting it.
export function GET() {
  return Response.json({ status: "ok", uptimeSeconds: Math.round(process.uptime()) });
}
