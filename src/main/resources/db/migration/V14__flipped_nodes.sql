-- Why a change happened (issue 16): the nodes of the segment's rule that made a change caused by a data write,
-- an analytics run, a static edit (of a referenced static segment) or time, as JSON pointers into the rule as it
-- was then (docs/rule-semantics.md, "Explain and flipped nodes"). Null where none are named: rule edits, on-demand
-- refreshes, the static segment's own edits, exits of deleted customers, and changes recorded before this column.
alter table membership_change add column flipped_nodes text[];
