// Shared by the API and the SDK (so no imports): in /teams/{team}/… a path
// can't leave the team out, so "-" stands for the one team the token reaches
// (no slug starts with a hyphen).
export const ONE_TEAM = "-";
