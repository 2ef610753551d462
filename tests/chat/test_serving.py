"""The app warns when it is reachable from beyond this machine: it has no login."""

from __future__ import annotations

import pytest

from qa.chat.serving import exposure_warnings


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "localhost", "::1"])
def test_loopback_needs_no_warning(host: str) -> None:
    assert exposure_warnings(host, share=False) == []


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "news-box.example.org"])
def test_binding_elsewhere_is_warned_about(host: str) -> None:
    (warning,) = exposure_warnings(host, share=False)
    assert host in warning and "--host 127.0.0.1" in warning and "no login" in warning


def test_sharing_is_warned_about_even_on_loopback() -> None:
    (warning,) = exposure_warnings("127.0.0.1", share=True)
    assert "gradio.live" in warning and "anyone who has the link" in warning
    assert len(exposure_warnings("0.0.0.0", share=True)) == 2
