# PlatformIO glue for the core's own test harness (test/test_core/mini_test.h).
# It turns "PASS <name>" / "FAIL <name>: <why>" lines into test cases and ends
# the suite at the "N passed, N failed" line. The g++ path (make test) runs the
# same test_main.cpp without PlatformIO.
import re

from platformio.public import TestCase, TestRunnerBase, TestStatus

SUMMARY = re.compile(r"^(\d+) passed, (\d+) failed$")


class CustomTestRunner(TestRunnerBase):
    def on_testing_line_output(self, line):
        print(line, end="")
        text = line.strip()
        if text.startswith("PASS "):
            self.test_suite.add_case(TestCase(name=text[5:], status=TestStatus.PASSED))
        elif text.startswith("FAIL "):
            name, _, why = text[5:].partition(": ")
            self.test_suite.add_case(TestCase(name=name, status=TestStatus.FAILED, message=why))
        elif SUMMARY.match(text):
            self.test_suite.on_finish()
