"""`__in` on an integer column, without the values its type cannot hold.

Django drops an out-of-range integer from `exact`, `gt`, `gte`, `lt` and
`lte` (no row can hold it), but sends it on in an `__in` list. PostgreSQL
compares it as a numeric and finds nothing; SQLite, the embedded default,
cannot bind an integer beyond 64 bits and the request was a 500. Such
numbers come from posts no browser makes: a 20-digit id in an admin
autocomplete field, a changelist's row ids or a multiple choice.

Here such values are dropped from the list, as Django drops them from the
other lookups, and a list left empty makes no query.
"""

from django.core.exceptions import EmptyResultSet
from django.db.models import IntegerField
from django.db.models.lookups import In


class IntegerFieldIn(In):
    def batch_process_rhs(self, compiler, connection, rhs=None):
        if rhs is not None and self.rhs_is_direct_value():
            low, high = connection.ops.integer_field_range(
                self.lhs.output_field.get_internal_type()
            )
            rhs = [value for value in rhs if fits(value, low, high)]
            if not rhs:
                raise EmptyResultSet
        return super().batch_process_rhs(compiler, connection, rhs)


def fits(value, low, high):
    if not isinstance(value, int):
        return True
    return (low is None or value >= low) and (high is None or value <= high)


def register():
    IntegerField.register_lookup(IntegerFieldIn)
