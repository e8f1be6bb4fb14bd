#!/bin/sh
# The production server's one command line: `npm start`, the image's CMD, and
# the e2e tests' and benchmarks' harness (e2e/harness.ts) all run this file.
# exec: the server is this process, so SIGTERM reaches it directly and it
# drains gracefully (tsx's CLI would relay signals through a second process).
#
# The heap's ceiling suits the Deployment's 1 GiB memory limit (k8s/base).
# Without it V8 sizes itself from the host's memory (a 4.5 GB limit on a
# 24 GiB machine): it lets the old generation grow to several times what is
# live between collections, and the young generation to 2 x 64 MB
# semi-spaces under load. 32 MB semi-spaces measured ~70 MB less RSS than
# 64 MB under scale-pages' 20 clients for ~3 % more CPU per request; 16 MB
# saved ~50 MB more for ~5 %. The 512 MB old generation collects more often
# (~5-14 % more CPU per request) for ~300 MB less RSS, with the same latency
# in a paired run (bench/README.md, scale-pages).
export NODE_ENV=production
exec node --max-old-space-size=512 --max-semi-space-size=32 --import tsx server.ts "$@"
