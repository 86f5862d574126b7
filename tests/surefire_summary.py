"""Prints Surefire's totals (mvn -q hides them): tests, failures, errors, skipped."""

import pathlib
import sys
import xml.etree.ElementTree as ET

totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
reports = sorted(pathlib.Path(sys.argv[1]).glob("TEST-*.xml"))
for report in reports:
    suite = ET.parse(report).getroot()
    for key in totals:
        totals[key] += int(suite.get(key, "0"))
if not reports:
    sys.exit(f"no Surefire reports in {sys.argv[1]}")
print(
    f"Surefire: {len(reports)} classes, Tests run: {totals['tests']}, Failures: "
    f"{totals['failures']}, Errors: {totals['errors']}, Skipped: {totals['skipped']}"
)
