"""`make fuzz`: many more hostile inputs than `make test` runs, per input surface, with counts (issue 15).

Each surface feeds generated inputs (hypothesis, derandomized) to one entry point and classifies what
happened: a clear refusal (the surface's own error, one bounded line), accepted, a crash (any other
exception), a hang (over 2 s), or accepted-but-invalid (the next layer refuses what this one accepted).
Then a benchmark refuses hostile inputs under 64 KB and reports the worst time and memory.
"""
