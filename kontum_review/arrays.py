"""A column among a list of values computed beforehand, in one parameter.

Django writes `column__in=values` as `IN (%s, %s, ...)`: one parameter a
value, a new SQL text for each number of values (each one planned, and
prepared apart under server-side binding), and at most 65,535 parameters a
statement on PostgreSQL. `Among` writes `column = ANY(%s)` with the values as
one array there, whatever their number; elsewhere (SQLite, the embedded
default) it is Django's IN.

    MemberRun.objects.filter(Among(F("organization_id"), organization_ids))
"""

from django.db.models.lookups import In


class Among(In):
    """`lhs` is one of the values of the list `rhs`."""

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        array_type = f"{self.lhs.output_field.db_type(connection)}[]"
        values = [value for value in self.rhs if value is not None]
        return f"{lhs} = ANY(%s::{array_type})", (*lhs_params, values)
