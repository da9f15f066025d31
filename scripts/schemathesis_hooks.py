"""Schemathesis hooks (scripts/schemathesis.sh): each operation gets the token its route needs —
admin for /admin, parent for /parent, none for the public routes — from ST_ADMIN_TOKEN and
ST_PARENT_TOKEN. Without them (the unauthenticated pass) nothing is added."""
import os

import schemathesis


@schemathesis.auth()
class RoleToken:
    def get(self, case, ctx):
        return "by-path"

    def set(self, case, data, ctx):
        path = case.operation.path
        if path.startswith("/admin"):
            token = os.environ.get("ST_ADMIN_TOKEN")
        elif path.startswith("/parent"):
            token = os.environ.get("ST_PARENT_TOKEN")
        else:
            token = None
        if token:
            case.headers = dict(case.headers or {})
            case.headers["Authorization"] = f"Bearer {token}"
