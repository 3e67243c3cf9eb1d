"""Django REST framework's messages that its Vietnamese catalogue lacks.

Listed here so that makemessages keeps them in api/locale, which fills the gaps
(the api app comes before rest_framework in INSTALLED_APPS). The msgids are
DRF's own, character for character.
"""

from django.utils.translation import gettext_noop

DRF_MESSAGES = [
    gettext_noop("Authentication credentials were not provided."),
    gettext_noop("Incorrect authentication credentials."),
    gettext_noop("Malformed request."),
    gettext_noop('Unsupported media type "{media_type}" in request.'),
    gettext_noop("Could not satisfy the request Accept header."),
    gettext_noop("Request was throttled."),
    # Read with gettext before the number is put in (rest_framework/exceptions.py).
    gettext_noop("Expected available in {wait} second."),
    gettext_noop("Expected available in {wait} seconds."),
    gettext_noop("A server error occurred."),
    gettext_noop("Invalid input."),
    gettext_noop("This field is required."),
    gettext_noop("This field may not be null."),
    gettext_noop("Not a valid string."),
    gettext_noop("Ensure this field has no more than {max_length} characters."),
    gettext_noop('"{input}" is not a valid choice.'),
    gettext_noop("Invalid data. Expected a dictionary, but got {datatype}."),
    gettext_noop("No data provided"),
    gettext_noop("No file was submitted."),
    gettext_noop(
        "The submitted data was not a file. Check the encoding type on the form."
    ),
    gettext_noop("The submitted file is empty."),
    gettext_noop("Invalid cursor"),
    gettext_noop("The pagination cursor value."),
    gettext_noop("Number of results to return per page."),
    gettext_noop("Not found."),
]
