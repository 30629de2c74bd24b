import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from tests.builders import make_user


def bearer_client(user) -> APIClient:
    """A client sending a real access token of `user`."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return client


@pytest.fixture
def user(db):
    return make_user("alice")


@pytest.fixture
def client_of():
    return bearer_client


@pytest.fixture
def alice_client(user):
    return bearer_client(user)
