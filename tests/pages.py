"""Fill and send a page's forms as a browser would, through the test client.

    page = client.get(url)
    response = submit(client, page, button="Lưu", data={"reason": "Ốm dài ngày"})

A form is found by the text of one of its buttons (or by its action); what the
browser would send is read out of the HTML (hidden inputs, the CSRF token,
prefilled values, ticked boxes, selected options, text areas), `data` changes
or adds fields (None removes one, a list gives a field several values), and
the button pressed is sent with its name and value.
"""

from html import unescape
from html.parser import HTMLParser
from urllib.parse import urljoin

TEXT_TYPES = {"text", "hidden", "date", "time", "number", "email", "password", ""}
TEXT_TYPES |= {"search", "tel", "url", "datetime-local"}


class Form:
    def __init__(self, attrs):
        self.method = (attrs.get("method") or "get").lower()
        self.action = attrs.get("action")
        self.id = attrs.get("id")
        self.fields = []  # (name, value) in document order
        self.buttons = []  # {"name", "value", "text"}
        self.options = {}  # select name: [{"value", "text"}]

    def value(self, name):
        return next((value for field, value in self.fields if field == name), None)

    def option(self, name, text):
        """The value of the option of select `name` whose label contains `text`."""
        for option in self.options.get(name, ()):
            if text in option["text"]:
                return (
                    option["value"] if option["value"] is not None else option["text"]
                )
        raise AssertionError(f"No option {text!r} in {name!r}.")

    def button(self, text):
        """The submit button whose value is `text`, or whose label contains it."""
        for button in self.buttons:
            if button["value"] == text and button["name"]:
                return button
        for button in self.buttons:
            if text in button["text"]:
                return button
        return None


class FormParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms = []
        self.form = None
        self.select = None
        self.select_first = None
        self.select_chosen = False
        self.option = None
        self.textarea = None
        self.button = None
        self.links = []

    def handle_starttag(self, tag, attrs):
        attrs = {key: (value if value is not None else "") for key, value in attrs}
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if tag == "form":
            self.form = Form(attrs)
            self.forms.append(self.form)
            return
        owner = self.owner(attrs)
        if owner is None or "disabled" in attrs:
            return
        name = attrs.get("name")
        if tag == "input":
            kind = attrs.get("type", "text").lower()
            if kind in ("checkbox", "radio"):
                if name and "checked" in attrs:
                    owner.fields.append((name, attrs.get("value", "on")))
            elif kind == "submit":
                owner.buttons.append(
                    {"name": name, "value": attrs.get("value", ""), "text": ""}
                )
            elif kind in TEXT_TYPES and name:
                owner.fields.append((name, attrs.get("value", "")))
        elif tag == "button":
            self.button = {
                "name": name,
                "value": attrs.get("value", ""),
                "text": "",
                "type": attrs.get("type", "submit"),
                "owner": owner,
            }
        elif tag == "select" and name:
            self.select = (owner, name, "multiple" in attrs)
            self.select_first = None
            self.select_chosen = False
        elif tag == "option" and self.select:
            value = attrs.get("value")
            self.option = {"value": value, "text": ""}
            self.select[0].options.setdefault(self.select[1], []).append(self.option)
            if self.select_first is None:
                self.select_first = self.option
            if "selected" in attrs:
                self.select_chosen = True
                self.select[0].fields.append((self.select[1], self.option))
        elif tag == "textarea" and name:
            self.textarea = [owner, name, ""]

    def owner(self, attrs):
        """The form a control belongs to: its `form` attribute, else the open one."""
        form_id = attrs.get("form")
        if form_id:
            return next((form for form in self.forms if form.id == form_id), None)
        return self.form

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea[2] += data
        if self.button is not None:
            self.button["text"] += data
        if self.option is not None:
            self.option["text"] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.form = None
        elif tag == "textarea" and self.textarea is not None:
            owner, name, text = self.textarea
            owner.fields.append((name, text.removeprefix("\n")))
            self.textarea = None
        elif tag == "button" and self.button is not None:
            button = self.button
            button["text"] = " ".join(button["text"].split())
            if button["type"] == "submit":
                button["owner"].buttons.append(button)
            self.button = None
        elif tag == "option":
            self.option = None
        elif tag == "select" and self.select:
            owner, name, multiple = self.select
            if not self.select_chosen and not multiple and self.select_first:
                owner.fields.append((name, self.select_first))
            self.select = None

    def close(self):
        super().close()
        for form in self.forms:
            form.fields = [
                (name, value["value"] if value["value"] is not None else value["text"])
                if isinstance(value, dict)
                else (name, value)
                for name, value in form.fields
            ]


def parse(response):
    parser = FormParser()
    parser.feed(response.content.decode())
    parser.close()
    return parser


def find_form(response, *, button=None, action=None):
    """The one form with a button reading `button` (or with `action`)."""
    found = []
    for form in parse(response).forms:
        if button is not None and form.button(button) is None:
            continue
        # action="" finds the form that posts back to the page itself.
        if action is not None and (form.action or "") != action:
            continue
        if button is None and action == "" and form.method != "post":
            continue
        found.append(form)
    if len(found) != 1:
        raise AssertionError(
            f"{len(found)} forms with button {button!r} / action {action!r} on "
            f"{response.request['PATH_INFO']}."
        )
    return found[0]


def form_data(form, data=None, button=None):
    """What the browser sends for `form`, changed by `data`, with `button` pressed."""
    sent = {}
    for name, value in form.fields:
        sent.setdefault(name, []).append(value)
    for name, value in (data or {}).items():
        if value is None:
            sent.pop(name, None)
        elif isinstance(value, list | tuple | set):
            sent[name] = [str(item) for item in value]
        else:
            sent[name] = [str(value)]
    pressed = form.button(button) if button else None
    if pressed and pressed["name"]:
        sent[pressed["name"]] = [pressed["value"]]
    return sent


def submit(client, response, *, button=None, action=None, data=None, **extra):
    """Send a form of `response` as the browser would; the response to it."""
    form = find_form(response, button=button, action=action)
    url = urljoin(response.request["PATH_INFO"], unescape(form.action or ""))
    if not form.action:
        query = response.request.get("QUERY_STRING")
        url = response.request["PATH_INFO"] + (f"?{query}" if query else "")
    payload = form_data(form, data, button)
    if form.method == "get":
        return client.get(url, payload, **extra)
    return client.post(url, payload, **extra)


def links(response, containing=""):
    return [link for link in parse(response).links if containing in link]
