"""Run the create/free loop of test_lifetime.py under valgrind (memcheck) and fail on any
memory error in libtznr, or on any leaked block (definitely, indirectly or possibly lost)
allocated through libtznr. Exit status 77 (skipped) when valgrind is not installed.

Usage: python3 lifetime_valgrind.py [ITERATIONS]     (TZNR_LIBRARY as for the tests)
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

here = os.path.dirname(os.path.abspath(__file__))


def main() -> int:
    valgrind = shutil.which("valgrind")
    if not valgrind:
        print("valgrind is not installed: skipped")
        return 77
    n = sys.argv[1] if len(sys.argv) > 1 else "20"
    env = dict(os.environ, PYTHONMALLOC="malloc")   # every Python object through malloc
    with tempfile.TemporaryDirectory() as d:
        log = os.path.join(d, "valgrind.log")
        r = subprocess.run(
            [valgrind, "--error-exitcode=99", "--leak-check=full", "--show-leak-kinds=all",
             "--errors-for-leak-kinds=none",
             "--num-callers=50", f"--log-file={log}",
             sys.executable, os.path.join(here, "test_lifetime.py"), "--loop", n],
            env=env)
        with open(log, encoding="utf-8", errors="replace") as f:
            text = f.read()
    records = re.split(r"\n==\d+== \n", text)
    leaks = [b for b in records
             if re.search(r"are (definitely|indirectly|possibly) lost", b)
             and re.search(r": tznr_\w+ \(|libtznr", b)]
    # memory errors (invalid access, uninitialised values, bad frees...) with libtznr in
    # the stack; the interpreter's own reports (some Python builds have false positives
    # under valgrind) are counted but do not fail the test
    errors = [b for b in records
              if re.search(r"==\d+== (Invalid|Conditional jump|Use of uninitialised|Syscall "
                           r"param|Mismatched|Source and destination|Argument)", b)
              and re.search(r": tznr_\w+ \(|libtznr", b)]
    total = re.search(r"ERROR SUMMARY: (\d+) errors", text)
    summary = re.search(r"LEAK SUMMARY:.*?suppressed:[^\n]*", text, re.S)
    print(summary.group(0) if summary else text[-2000:])
    for b in leaks + errors:
        print(b)
    print(f"memcheck errors: {total.group(1) if total else '?'} in all, {len(errors)} in "
          f"libtznr; leaked blocks allocated through libtznr: {len(leaks)}")
    if r.returncode not in (0, 99) or not total or errors or leaks:
        print("1 failed")
        return 1
    print("valgrind: no memory error, no libtznr leak")
    return 0


if __name__ == "__main__":
    sys.exit(main())
