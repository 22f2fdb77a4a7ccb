# csaf_validate: checks CSAF 2.0 documents (file arguments) against the
# OASIS JSON schema in DATA/feeds/csaf/schema, with the CVSS schemas it
# refers to served from the same folder (no network). Prints one line per
# problem and exits 1 if there is any. Used by tests/http/alerts.test.mjs.
import json
import sys

from jsonschema import Draft202012Validator

schema_dir = sys.argv[1]
with open(f"{schema_dir}/csaf_json_schema.json") as f:
    schema = json.load(f)
cvss = {}
for v in ("2.0", "3.0", "3.1"):
    with open(f"{schema_dir}/cvss/cvss-v{v}.json") as f:
        cvss[f"https://www.first.org/cvss/cvss-v{v}.json"] = json.load(f)
try:  # jsonschema >= 4.18
    from referencing import Registry, Resource
    registry = Registry().with_resources((u, Resource.from_contents(s)) for u, s in cvss.items())
    validator = Draft202012Validator(schema, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER)
except ImportError:  # Debian 12's python3-jsonschema 4.10
    from jsonschema import RefResolver
    resolver = RefResolver.from_schema(schema, store=cvss)
    validator = Draft202012Validator(schema, resolver=resolver, format_checker=Draft202012Validator.FORMAT_CHECKER)
bad = 0
for path in sys.argv[2:]:
    with open(path) as f:
        doc = json.load(f)
    for e in validator.iter_errors(doc):
        bad += 1
        print(f"{path}: {'/'.join(str(p) for p in e.absolute_path)}: {e.message}")
sys.exit(1 if bad else 0)
