# SPDX-License-Identifier: LGPL-2.1-or-later
"""Runs the unittest modules (test_*.py) of a directory and prints TAP.

    python3 -B tap_unittest.py DIR

One result per test case, named by its id; a failure's traceback follows
as "# " lines. A skipped case is reported as a failure (a check that does
not run checks nothing), an error outside any case (a module that does
not import, a failing setUpClass) as a failed result of its own. The last
result checks that no objlife object is left alive once every case ran
and the garbage collector had its turn.
"""

import gc
import sys
import unittest


class TapResult(unittest.TestResult):
    """Collects each case's outcome, and prints it when the case ends:
    subtests may fail a case several times before it ends."""

    def __init__(self, out):
        super().__init__()
        self.out = out
        self.n = 0
        self.ok = True
        self.notes = []

    def emit(self, ok, name, notes=(), directive=""):
        self.n += 1
        line = "%s %d - %s" % ("ok" if ok else "not ok", self.n, name)
        if directive:
            line += " # " + directive
        print(line, file=self.out)
        for note in notes:
            for text in note.rstrip("\n").split("\n"):
                print("# " + text, file=self.out)
        self.out.flush()

    def startTest(self, test):
        super().startTest(test)
        self.ok = True
        self.notes = []

    def stopTest(self, test):
        super().stopTest(test)
        self.emit(self.ok, test.id(), self.notes)

    def _fail(self, test, err):
        self.ok = False
        self.notes.append(self._exc_info_to_string(err, test))

    def addError(self, test, err):
        super().addError(test, err)
        if isinstance(test, unittest.TestCase):
            self._fail(test, err)
        else:
            # setUpModule, setUpClass, an import error: not inside a case.
            self.emit(False, str(test), [self._exc_info_to_string(err, test)])

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._fail(test, err)

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is not None:
            self.ok = False
            self.notes.append("%s\n%s" % (subtest, self._exc_info_to_string(err, test)))

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self.ok = False
        self.notes.append("skipped: %s (a check that does not run checks nothing)" % reason)

    def addExpectedFailure(self, test, err):
        # An expected failure is still a failure that nobody looks at.
        super().addExpectedFailure(test, err)
        self._fail(test, err)

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self.ok = False
        self.notes.append("expected to fail, but passed")


def main(argv):
    if len(argv) != 2:
        print("usage: %s DIR" % argv[0], file=sys.stderr)
        return 2
    out = sys.stdout
    loader = unittest.TestLoader()
    suite = loader.discover(argv[1], pattern="test_*.py", top_level_dir=argv[1])
    result = TapResult(out)
    suite.run(result)   # a module that fails to import runs as a failing case

    # Everything the cases made must be gone: closed, collected, released.
    gc.collect()
    try:
        import objlife

        alive = objlife.live_count()
        result.emit(alive == 0, "no objlife object is alive after the last case",
                    [] if alive == 0 else ["%d objects alive" % alive])
    except Exception as e:   # the package would not even import
        result.emit(False, "no objlife object is alive after the last case", [repr(e)])

    print("1..%d" % result.n, file=out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
