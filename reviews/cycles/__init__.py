"""The review cycle as a whole: the organizations and forms it reviews
(`scope`), its state machine and the exemptions that close a step (`states`),
the opening job (`opening`), remedy actions carried into the next cycle
(`carry_over`), and the staff's pages: the cycle list, overview, opening,
exclusions and checklist (`forms`, `views`, with the progress figures they
show in `progress`) and the exemptions (`exemption_forms`, `exemption_views`).

The write functions are imported from their modules or, as before, through
`reviews.services` (`services.open_cycle`), which re-exports them all; this
module imports nothing, so importing one part loads no other.
"""
