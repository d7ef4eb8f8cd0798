/** The `users` columns every store reads, Django's `auth_user` names, table alias `u`. */
export const USER_COLUMNS = "u.id, u.username, u.email, u.password, u.is_active, u.is_staff, u.is_superuser, u.date_joined";

/** The `meta` row holding the fingerprint of the key that sealed the stored tokens. */
export const KEY_FINGERPRINT = "key_fingerprint";
