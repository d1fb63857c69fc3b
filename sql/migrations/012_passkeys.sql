-- Passkeys (WebAuthn credentials): the public key only, the sign counter the authenticator
-- last reported, and the random user handle the credential carries (never the email).
create table minimaluser.tbl_passkey (
    pky_id bigint generated always as identity primary key,
    aut_id bigint not null references minimaluser.tbl_auth (aut_id) on delete cascade,
    pky_credential_id bytea not null unique,
    pky_public_key bytea not null,
    pky_sign_count bigint not null default 0,
    pky_user_handle bytea not null,
    pky_name text not null,
    pky_created_at timestamptz not null,
    pky_last_used_at timestamptz
);
create index tbl_passkey_user on minimaluser.tbl_passkey (aut_id);

-- A WebAuthn challenge waiting for its answer: one per browser (its id lives in the signed
-- session cookie), for one purpose, used once, for 5 minutes.
create table minimaluser.tbl_webauthn_challenge (
    wch_id uuid primary key,
    wch_challenge bytea not null,
    wch_purpose text not null,
    aut_id bigint references minimaluser.tbl_auth (aut_id) on delete cascade,
    wch_expires timestamptz not null
);
create index tbl_webauthn_challenge_expires on minimaluser.tbl_webauthn_challenge (wch_expires);
