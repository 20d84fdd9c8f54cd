"""Domain package for the HULFT-on-LifeKeeper drills.

Pure functions and small typed models shared by the Lambda handlers, the local runner and the CLI:
parsers for what the nodes print (``lcdstatus -q``, ``ps -ef``), the VIP route lookup, the verdicts
built on them, and the SSM document parameters (patterns, pydantic models, document builder).
"""
