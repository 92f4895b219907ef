"""The audit log's SQL: one trigger function, installed on every tracked table.

`audit_record()` runs AFTER each INSERT, UPDATE and DELETE of a tracked row, in the same
transaction, and writes one `audit_auditevent` row: the organization, the object (its type is
the trigger's first argument), what changed (an update keeps only the columns that changed,
before and after; a creation its row, a deletion the row it had), and who acted, from the
`pghistory.context_metadata` setting that `pghistory.context` puts before every write statement
(audit/context.py says what is in it). An update that changed only "quiet" columns (a job's
progress counters, an API key's last use) is no event. Columns ending in `_nonce`, `_hash` or `_sealed`
(the seeds and digests of secret links and keys) and a user's `password` are shown as "[hidden]".
A table without an organization column names where its organizations are, as
`table.column=row_column` (a study owner: `studies_study.id=study_id`; a user:
`tenancy_membership.user_id=id`, one event per organization the user belongs to).

Migrations call `install(...)` for each table they start tracking and `uninstall(...)` to undo.
"""

FUNCTION = r"""
CREATE OR REPLACE FUNCTION audit_visible(r jsonb) RETURNS jsonb LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT COALESCE(jsonb_object_agg(key, CASE WHEN (key ~ '(_nonce|_hash|_sealed)$' OR key = 'password') AND value <> 'null'::jsonb
                                              THEN '"[hidden]"'::jsonb ELSE value END), '{}'::jsonb)
    FROM jsonb_each(r)
$$;

CREATE OR REPLACE FUNCTION audit_record() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ctx jsonb := COALESCE(NULLIF(current_setting('pghistory.context_metadata', true), ''), '{}')::jsonb;
    object_type text := TG_ARGV[0];
    org_column text := TG_ARGV[1];
    parent_column text := NULLIF(TG_ARGV[2], '');
    parent_type text := NULLIF(TG_ARGV[3], '');
    quiet text[] := COALESCE(string_to_array(NULLIF(TG_ARGV[4], ''), ','), '{}');
    old_row jsonb;
    new_row jsonb;
    this_row jsonb;
    before_values jsonb;
    after_values jsonb;
    verb text;
    org_ids bigint[];
    via text[];
BEGIN
    IF TG_OP <> 'INSERT' THEN old_row := to_jsonb(OLD); END IF;
    IF TG_OP <> 'DELETE' THEN new_row := to_jsonb(NEW); END IF;
    this_row := COALESCE(new_row, old_row);
    IF TG_OP = 'UPDATE' THEN
        SELECT jsonb_object_agg(n.key, o.value), jsonb_object_agg(n.key, n.value)
          INTO before_values, after_values
          FROM jsonb_each(new_row) AS n JOIN jsonb_each(old_row) AS o ON o.key = n.key
         WHERE n.value IS DISTINCT FROM o.value;
        IF after_values IS NULL OR (after_values - quiet) = '{}'::jsonb THEN
            RETURN NULL;  -- nothing changed, or only what is no event of its own
        END IF;
        verb := CASE WHEN after_values ? 'status' THEN after_values->>'status' ELSE 'updated' END;
    ELSIF TG_OP = 'INSERT' THEN
        after_values := new_row;
        verb := 'created';
    ELSE
        before_values := old_row;
        verb := 'deleted';
    END IF;
    IF position('=' IN org_column) > 0 THEN
        -- 'table.column=row_column': the organizations of the rows of `table` whose `column` is
        -- this row's `row_column` (a study owner's study; a user's memberships, one event each).
        via := regexp_split_to_array(org_column, '[.=]');
        EXECUTE format('SELECT array_agg(DISTINCT organization_id) FROM %I WHERE %I = $1', via[1], via[2])
           INTO org_ids USING (this_row->>via[3])::bigint;
    ELSE
        org_ids := ARRAY[(this_row->>org_column)::bigint];
    END IF;
    INSERT INTO audit_auditevent (
        organization_id, occurred_at, transaction_id, context_id,
        actor_kind, actor, actor_user_id, actor_api_key_id, ip_address,
        action, object_type, object_id, object_repr, parent_type, parent_id, before, after
    ) SELECT
        org_id, now(), txid_current(),
        (ctx->>'block')::uuid,
        COALESCE(NULLIF(ctx->>'actor_kind', ''), 'system'), COALESCE(ctx->>'actor', ''),
        (ctx->>'user')::bigint, (ctx->>'api_key')::bigint, COALESCE(ctx->>'ip', ''),
        verb, object_type, (this_row->>'id')::bigint,
        left(COALESCE(this_row->>'name', this_row->>'title', this_row->>'email', this_row->>'url',
                      this_row->>'external_id', ''), 200),
        CASE WHEN parent_column IS NOT NULL AND this_row->>parent_column IS NOT NULL THEN parent_type END,
        (this_row->>parent_column)::bigint,
        audit_visible(before_values), audit_visible(after_values)
    FROM unnest(org_ids) AS org_id;
    RETURN NULL;
END
$$;
"""

DROP_FUNCTION = "DROP FUNCTION IF EXISTS audit_record(); DROP FUNCTION IF EXISTS audit_visible(jsonb);"

TRIGGER = "audit_row"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def install(table: str, object_type: str, *, org_column="organization_id", parent=None, quiet=()) -> str:
    """SQL that tracks `table`: `parent` is (column, object type) of the object it belongs to
    (an incentive's study), so that object's history shows it too."""
    parent_column, parent_type = parent or ("", "")
    args = ", ".join(_literal(a) for a in (object_type, org_column, parent_column, parent_type, ",".join(quiet)))
    return (
        f'CREATE TRIGGER {TRIGGER} AFTER INSERT OR UPDATE OR DELETE ON "{table}" '
        f"FOR EACH ROW EXECUTE FUNCTION audit_record({args});"
    )


def uninstall(table: str) -> str:
    return f'DROP TRIGGER IF EXISTS {TRIGGER} ON "{table}";'
