"""Exit codes shared by every ``snas`` command.

0 success (warnings allowed); 1 the rules, run or report failed a check (a rule file that does
not parse included); 2 usage, input or I/O error, a rule file that is missing, a directory or
unreadable included (the message names the file and the fix); 130 interrupted (the search resumes).
"""

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
