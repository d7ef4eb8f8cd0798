export { changeActive, changePassword, createUser, listUsers, revokeTokens, sendReset, type ListedUser } from "./accounts.js";
export { AdminError } from "./admin-error.js";
export { copyDatabase, type CopySummary } from "./copy.js";
export { importDjango, readDjangoUsers, type ImportSummary } from "./import-django.js";
export { openAdminTarget, type AdminTarget } from "./open-admin.js";
export { parseKey, rotateKey, type RotationSummary } from "./rotate-key.js";
