"""The built-in steps of the chain (``pipeline.chain``), one module each.

* ``plan.PlanStep``: the routing plan (``ctx.targets``);
* ``admission.AdmissionStep``: caller rate limits and stream slots; feeds the
  output-token counters at the end (only when ``rate_limits:`` configures any);
* ``ledger.LedgerStep``: the budget reservation and the ledger tab; settles at
  the end;
* ``pipeline.attempts``: the attempt loop, last in every chain.
"""

from llmgw.pipeline.steps.admission import AdmissionStep
from llmgw.pipeline.steps.ledger import LedgerStep
from llmgw.pipeline.steps.plan import PlanStep

__all__ = ["AdmissionStep", "LedgerStep", "PlanStep"]
