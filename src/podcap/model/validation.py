"""The API server's rules for label keys and values, one function per rule.

Label keys ("qualified names") and label values are checked wherever the Kubernetes API server
checks them: object and pod-template labels, ``nodeSelector``, label selectors (keys and values),
node-affinity keys, pod (anti-)affinity topology keys, taints and tolerations, and node labels.
The rules and their messages are apimachinery's (``k8s.io/apimachinery/pkg/api/validate/content``:
``IsLabelKey``, formerly ``util/validation.IsQualifiedName``; ``IsLabelValue``, formerly
``IsValidLabelValue``; ``IsDNS1123Subdomain``), so a message here reads as ``kubectl apply`` would
print it.  Lengths are in bytes, as Go counts them.
"""

from __future__ import annotations

import re

from podcap.errors import short_repr

__all__ = ["invalid_label", "label_key_errors", "label_value_errors"]

_NAME_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_NAME = re.compile(_NAME_FMT)
_NAME_MAX = 63
_NAME_MSG = (
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character"
)
_VALUE_FMT = f"({_NAME_FMT})?"
_VALUE_MSG = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character"
)
_DNS_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS_SUBDOMAIN_FMT = rf"{_DNS_LABEL_FMT}(\.{_DNS_LABEL_FMT})*"
_DNS_SUBDOMAIN = re.compile(_DNS_SUBDOMAIN_FMT)
_DNS_SUBDOMAIN_MAX = 253
_DNS_SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character"
)


def _regex_error(message: str, regex: str, *examples: str) -> str:
    """apimachinery's ``RegexError`` wording: the rule, examples, and the regex itself."""
    shown = " or ".join(f"'{e}'" for e in examples)
    return f"{message} (e.g. {shown}, regex used for validation is '{regex}')"


def _bytes(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


def _dns_subdomain_errors(value: str) -> list[str]:
    """``IsDNS1123Subdomain``: at most 253 bytes of dot-separated lower-case DNS labels."""
    errors = []
    if _bytes(value) > _DNS_SUBDOMAIN_MAX:
        errors.append(f"must be no more than {_DNS_SUBDOMAIN_MAX} bytes")
    if not _DNS_SUBDOMAIN.fullmatch(value):
        errors.append(_regex_error(_DNS_SUBDOMAIN_MSG, _DNS_SUBDOMAIN_FMT, "example.com"))
    return errors


def label_key_errors(key: str) -> list[str]:
    """Why ``key`` is not a valid label key, in the API server's words (empty list: valid).

    A label key (a "qualified name") is an optional DNS-subdomain prefix of at most 253 bytes
    and a ``/``, then a name of 1 to 63 bytes matching ``([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]``
    (apimachinery ``content.IsLabelKey``).

    Parameters
    ----------
    key : str

    Returns
    -------
    list of str
    """
    parts = key.split("/")
    errors: list[str] = []
    if len(parts) == 1:
        name = parts[0]
    elif len(parts) == 2:
        prefix, name = parts
        if not prefix:
            errors.append("prefix part must be non-empty")
        else:
            errors.extend(f"prefix part {e}" for e in _dns_subdomain_errors(prefix))
    else:
        return [
            "a valid label key "
            + _regex_error(_NAME_MSG, _NAME_FMT, "MyName", "my.name", "123-abc")
            + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        ]
    if not name:
        errors.append("name part must be non-empty")
    elif _bytes(name) > _NAME_MAX:
        errors.append(f"name part must be no more than {_NAME_MAX} bytes")
    if not _NAME.fullmatch(name):
        errors.append(
            "name part " + _regex_error(_NAME_MSG, _NAME_FMT, "MyName", "my.name", "123-abc")
        )
    return errors


def label_value_errors(value: str) -> list[str]:
    """Why ``value`` is not a valid label value, in the API server's words (empty: valid).

    A label value is empty or at most 63 bytes matching
    ``([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`` (apimachinery ``content.IsLabelValue``).

    Parameters
    ----------
    value : str

    Returns
    -------
    list of str
    """
    errors = []
    if _bytes(value) > _NAME_MAX:
        errors.append(f"must be no more than {_NAME_MAX} bytes")
    if value and not _NAME.fullmatch(value):
        errors.append(_regex_error(_VALUE_MSG, _VALUE_FMT, "MyValue", "my_value", "12345"))
    return errors


def invalid_label(key: str, value: str | None = None) -> str | None:
    """The API server's complaint about one label, or None when it is valid.

    Parameters
    ----------
    key : str
        The label key (:func:`label_key_errors`).
    value : str, optional
        The label value (:func:`label_value_errors`); None checks the key alone.

    Returns
    -------
    str or None
        The bad key or value (shortened) and what is valid, e.g. ``Invalid value: 'app name':
        name part must consist of alphanumeric characters, ...``; the caller adds where it was
        found.
    """
    errors = label_key_errors(key)
    if errors:
        return f"Invalid value: {short_repr(key)}: {'; '.join(errors)}"
    if value is not None:
        errors = label_value_errors(value)
        if errors:
            return f"Invalid value: {short_repr(value)}: {'; '.join(errors)}"
    return None
