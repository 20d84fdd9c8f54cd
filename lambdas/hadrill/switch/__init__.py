"""A guarded planned move of the resource hierarchy: `hadrill switchback` and `hadrill switchover --to NODE`
(statemachines/switch.asl.json). model: the input and the errors; steps: what each state does; report:
the record and the report, in the drill's shape so `hadrill history` and `hadrill report` read them."""
