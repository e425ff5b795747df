"""Drives the real, unmodified `segment-analytics-python` and `posthog` (Python) against a
Tributary server, as an application would. Started by tests/api/sdk.rs, which then reads what
the server stored.

    python python_sdks.py <server url> <api key> <bad key> <run id>

Events are dated an hour back, as a queue replayed late would send them: with an accurate
device clock the skew correction must leave them there. Prints one JSON line: the errors each
SDK reported for the bad key.
"""

import json
import sys
from datetime import datetime, timedelta, timezone

import posthog
from segment.analytics import Client as Segment

host, key, bad_key, run = sys.argv[1:5]
an_hour_ago = datetime.now(timezone.utc) - timedelta(hours=1)


def segment(write_key, errors, gzip):
    client = Segment(
        write_key=write_key,
        host=host,
        gzip=gzip,
        max_retries=0,
        on_error=lambda error, _batch: errors.append(str(error)),
    )
    client.track(
        user_id=f"py-user-{run}",
        event="Invoice Paid",
        properties={"amount": 99.5, "currency": "EUR"},
        message_id=f"python-segment-{run}-{gzip}",
        timestamp=an_hour_ago,
    )
    client.flush()
    client.shutdown()


def capture(project_key, errors):
    client = posthog.Posthog(
        project_api_key=project_key,
        host=host,
        max_retries=0,
        on_error=lambda error, _batch: errors.append(str(error)),
    )
    client.capture(
        "report exported",
        distinct_id=f"py-user-{run}",
        properties={"format": "csv", "rows": 1200},
        uuid=f"0194{run[-4:].rjust(4, '0')}-0000-7000-8000-000000000002",
        timestamp=an_hour_ago,
    )
    client.flush()
    client.shutdown()


result = {"segment_good": [], "posthog_good": [], "segment_bad": [], "posthog_bad": []}
segment(key, result["segment_good"], gzip=False)
segment(key, result["segment_good"], gzip=True)
capture(key, result["posthog_good"])
segment(bad_key, result["segment_bad"], gzip=False)
capture(bad_key, result["posthog_bad"])
print(json.dumps(result))
