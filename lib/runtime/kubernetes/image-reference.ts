// The apiserver accepts any image string (1.20 rejects only surrounding
// whitespace); a malformed one surfaces minutes later as InvalidImageName on
// the node. Checking the grammar here (distribution/reference's, which
// container runtimes use) turns a template typo into an immediate error.

const DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const DOMAIN = `${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*(?::[0-9]+)?`;
const PATH_COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const NAME = `(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
const TAG = "[\\w][\\w.-]{0,127}";
const DIGEST = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}";
const REFERENCE = new RegExp(`^(${NAME})(?::${TAG})?(?:@${DIGEST})?$`);

/** Whether `image` is a reference a container runtime can pull, e.g. "ubuntu:24.04" or "ghcr.io/org/ide@sha256:…". */
export function isValidImageReference(image: string): boolean {
  const match = REFERENCE.exec(image);
  return match !== null && match[1]!.length <= 255;
}
