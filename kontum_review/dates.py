"""Calendar arithmetic shared by the apps."""


def add_years(day, years):
    """The same day `years` on; 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)
