"""
Auth and Users endpoints. Each view validates its input with a serializer, calls one service or
selector and answers through an output serializer. Users only ever see their own objects: every
lookup is filtered by request.user, so someone else's favorite is a plain 404.
"""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from movie_backend import errors, http_cache
from movie_backend import examples as ex
from movie_backend.api import validated_body, validated_query
from movie_backend.schema import UPSTREAM, error_responses
from movies.services import image_config
from users import recommendations, selectors, services
from users.serializers import (
    FavoriteInputSerializer,
    FavoriteListQuerySerializer,
    FavoritePageSerializer,
    FavoriteSerializer,
    LoginInputSerializer,
    MeSerializer,
    MeUpdateSerializer,
    NotInterestedInputSerializer,
    NotInterestedListQuerySerializer,
    NotInterestedPageSerializer,
    NotInterestedSerializer,
    RecommendationPageSerializer,
    RecommendationQuerySerializer,
    RefreshInputSerializer,
    RegisterInputSerializer,
    RegisterOutputSerializer,
    TokenPairSerializer,
)
from users.throttles import LoginUsernameRateThrottle

AUTH_TAGS, USER_TAGS = ["auth"], ["users"]


class PublicAuthView(APIView):
    """Endpoints that take credentials in the body: no token is read, and a failure is still a 401
    with `WWW-Authenticate`."""

    permission_classes = [AllowAny]
    authentication_classes = []

    def get_authenticate_header(self, request):
        return 'Bearer realm="api"'


class RegisterView(PublicAuthView):
    throttle_scope = "register"

    @extend_schema(
        tags=AUTH_TAGS, summary="Create an account", auth=[],
        description="Creates the account and its profile and returns a token pair, so the client is "
                    "logged in at once. Username and email are unique regardless of case; the password "
                    "must pass the password validators.",
        request=RegisterInputSerializer,
        responses={201: RegisterOutputSerializer, **error_responses(400, invalid={
            "username": ["A user with that username already exists."],
            "password": ["This password is too common."]})},
        examples=[
            ex.request("alice", {"username": "alice", "email": "alice@example.com", "password": ex.ALICE_PASSWORD}),
            ex.response("Account created, logged in", {"user": ex.ALICE, **ex.TOKENS}, status=201),
        ],
    )
    def post(self, request):
        data = validated_body(RegisterInputSerializer, request)
        user = services.user_register(**data)
        tokens = services.tokens_for_user(user=user)
        body = {"user": {"id": user.id, "username": user.username, "email": user.email}, **tokens}
        return Response(RegisterOutputSerializer(body).data, status=status.HTTP_201_CREATED)


class LoginView(PublicAuthView):
    throttle_scope = "login"
    throttle_classes = [*api_settings.DEFAULT_THROTTLE_CLASSES, LoginUsernameRateThrottle]

    @extend_schema(
        tags=AUTH_TAGS, summary="Log in", auth=[],
        description="`username` may also be the account's email. Unknown accounts and wrong passwords "
                    "get the same 401 (`no_active_account`). Rate limited per client IP (`login`) and "
                    "per submitted username (`login_username`).",
        request=LoginInputSerializer,
        responses={
            200: TokenPairSerializer,
            **error_responses(400, invalid={"password": ["This field is required."]}),
            401: OpenApiResponse(
                response=error_responses(401)[401].response,
                description="Unknown account, wrong password or inactive account (`no_active_account`).",
                examples=[ex.response(errors.NO_ACTIVE_ACCOUNT.code, errors.NO_ACTIVE_ACCOUNT.body(), status=401)],
            ),
        },
        examples=[
            ex.request("alice", {"username": "alice", "password": ex.ALICE_PASSWORD}),
            ex.request("alice, by email", {"username": "alice@example.com", "password": ex.ALICE_PASSWORD}),
            ex.response("Tokens", ex.TOKENS),
        ],
    )
    def post(self, request):
        data = validated_body(LoginInputSerializer, request)
        tokens = services.user_login(request=request, username=data["username"], password=data["password"])
        return Response(TokenPairSerializer(tokens).data)


class RefreshView(PublicAuthView):
    throttle_scope = "token_refresh"

    @extend_schema(
        tags=AUTH_TAGS, summary="Rotate a refresh token", auth=[],
        description="Returns a new access token and a new refresh token; the refresh token sent is "
                    "blacklisted and answers 401 `token_not_valid` from then on.",
        request=RefreshInputSerializer,
        responses={200: TokenPairSerializer, **error_responses(
            400, 401, invalid={"refresh": ["This field is required."]}, details={401: errors.TOKEN_BLACKLISTED})},
        examples=[ex.request("A refresh token", {"refresh": ex.REFRESH}), ex.response("A new pair", ex.TOKENS)],
    )
    def post(self, request):
        data = validated_body(RefreshInputSerializer, request)
        return Response(TokenPairSerializer(services.token_refresh(refresh=data["refresh"])).data)


class LogoutView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=AUTH_TAGS, summary="Log out",
        description="Revokes the caller's refresh token. The access token stays valid until it expires "
                    "(minutes), so clients drop it too.",
        request=RefreshInputSerializer,
        responses={204: OpenApiResponse(description="Refresh token revoked."),
                   **error_responses(400, invalid={"refresh": ["This field is required."]})},
        examples=[ex.request("alice's refresh token", {"refresh": ex.REFRESH})],
    )
    def post(self, request):
        data = validated_body(RefreshInputSerializer, request)
        services.token_revoke(user=request.user, refresh=data["refresh"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    http_cached = True  # GET: ETag, If-None-Match, `private, no-cache`
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=USER_TAGS, summary="My profile",
        responses={200: MeSerializer},
        examples=[ex.response("alice", ex.ME)],
    )
    def get(self, request):
        profile = services.profile_ensure(user=request.user)
        return http_cache.personal_response(request, MeSerializer(selectors.user_me(user=request.user, profile=profile)).data)

    @extend_schema(
        tags=USER_TAGS, summary="Update my profile",
        description="Change `email` and/or `preferred_genres` (replaces the list). Other fields are ignored.",
        request=MeUpdateSerializer,
        responses={200: MeSerializer, **error_responses(400, invalid={
            "preferred_genres": ["Unknown genre id 4242."]})},
        examples=[
            ex.request("Science fiction and horror", {"preferred_genres": [878, 27]}),
            ex.request("A new email", {"email": "alice@example.org"}),
            ex.response("alice", ex.ME),
        ],
    )
    def patch(self, request):
        data = validated_body(MeUpdateSerializer, request, user=request.user)
        profile = services.profile_update(user=request.user, **data)
        return Response(MeSerializer(selectors.user_me(user=request.user, profile=profile)).data)


class FavoriteListView(APIView):
    http_cached = True  # GET: ETag, If-None-Match, `private, no-cache`
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=USER_TAGS, summary="My favorites", description="Newest first.",
        parameters=[FavoriteListQuerySerializer],
        responses={200: FavoritePageSerializer},
        examples=[ex.response("alice's favorites", ex.page(ex.FAVORITE, total_results=1))],
    )
    def get(self, request):
        page = validated_query(FavoriteListQuerySerializer, request)["page"]
        return http_cache.personal_response(
            request, FavoritePageSerializer(selectors.favorite_list(user=request.user, page=page)).data
        )

    @extend_schema(
        tags=USER_TAGS, summary="Add a favorite",
        description="Idempotent: 201 when added, 200 with the same body when it already was a favorite. "
                    "A movie we have never served is looked up on TMDb first.",
        request=FavoriteInputSerializer,
        responses={
            201: FavoriteSerializer,
            200: OpenApiResponse(response=FavoriteSerializer, description="Already a favorite; nothing changed."),
            **error_responses(400, 404, *UPSTREAM, invalid={
                "movie_id": ["Ensure this value is greater than or equal to 1."]},
                details={404: errors.MOVIE_NOT_FOUND}),
        },
        examples=[
            ex.request("Alien", {"movie_id": 348}),
            ex.response("Added", ex.FAVORITE, status=201),
            ex.response("Already a favorite", ex.FAVORITE, status=200),
        ],
    )
    def post(self, request):
        data = validated_body(FavoriteInputSerializer, request)
        favorite, created = services.favorite_add(user=request.user, movie_id=data["movie_id"])
        favorite = selectors.favorite_queryset(user=request.user).get(pk=favorite.pk)
        body = selectors.favorite_payload(favorite, images=image_config())
        return Response(FavoriteSerializer(body).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class FavoriteDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=USER_TAGS, summary="Remove a favorite",
        responses={204: OpenApiResponse(description="Removed.")},
    )
    def delete(self, request, movie_id: int):
        services.favorite_remove(user=request.user, movie_id=movie_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class NotInterestedListView(APIView):
    http_cached = True  # GET: ETag, If-None-Match, `private, no-cache`
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=USER_TAGS, summary="My not-interested movies", description="Newest first.",
        parameters=[NotInterestedListQuerySerializer],
        responses={200: NotInterestedPageSerializer},
        examples=[ex.response("alice's not-interested movies", ex.page(ex.NOT_INTERESTED, total_results=1))],
    )
    def get(self, request):
        page = validated_query(NotInterestedListQuerySerializer, request)["page"]
        return http_cache.personal_response(
            request, NotInterestedPageSerializer(selectors.not_interested_list(user=request.user, page=page)).data
        )

    @extend_schema(
        tags=USER_TAGS, summary="Mark a movie as not interested",
        description="The movie never appears in your personal list again (until you take the mark back). "
                    "Idempotent: 201 when marked, 200 with the same body when it already was. A movie we "
                    "have never served is looked up on TMDb first.",
        request=NotInterestedInputSerializer,
        responses={
            201: NotInterestedSerializer,
            200: OpenApiResponse(response=NotInterestedSerializer, description="Already marked; nothing changed."),
            **error_responses(400, 404, *UPSTREAM, invalid={
                "movie_id": ["Ensure this value is greater than or equal to 1."]},
                details={404: errors.MOVIE_NOT_FOUND}),
        },
        examples=[
            ex.request("Interstellar", {"movie_id": 157336}),
            ex.response("Marked", ex.NOT_INTERESTED, status=201),
            ex.response("Already marked", ex.NOT_INTERESTED, status=200),
        ],
    )
    def post(self, request):
        data = validated_body(NotInterestedInputSerializer, request)
        mark, created = services.not_interested_add(user=request.user, movie_id=data["movie_id"])
        mark = selectors.not_interested_queryset(user=request.user).get(pk=mark.pk)
        body = selectors.not_interested_payload(mark, images=image_config())
        return Response(NotInterestedSerializer(body).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class NotInterestedDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=USER_TAGS, summary="Take a not-interested mark back",
        responses={204: OpenApiResponse(description="Removed.")},
    )
    def delete(self, request, movie_id: int):
        services.not_interested_remove(user=request.user, movie_id=movie_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class RecommendationsView(APIView):
    http_cached = True  # GET: ETag, If-None-Match, `private, no-cache`
    permission_classes = [IsAuthenticated]
    throttle_scope = "recommendations"

    @classmethod
    def as_view(cls, **initkwargs):
        # A repeated GET is served from its stored copy before DRF runs (movie_backend.http_cache).
        return http_cache.personal_fast_path(cls, super().as_view(**initkwargs), recommendations.user_recs_namespace)

    def throttle_read(self, request):
        """The stored response of this request, read with the throttle counters (one round trip)."""
        return http_cache.personal_read(request, recommendations.user_recs_namespace(request.user.id))

    @extend_schema(
        tags=USER_TAGS, summary="Recommended for me",
        description="A personal list led by a model trained on every user's favorites (what people "
                    "with your favorites liked), blended with TMDb's recommendations for your latest "
                    "favorites and your genres; each item says why. Never includes your favorites or the "
                    "movies you marked as not interested. Without favorites: your preferred genres, else "
                    "what is popular.",
        parameters=[RecommendationQuerySerializer],
        responses={200: RecommendationPageSerializer},
        examples=[ex.response("For alice, who likes Alien", ex.RECOMMENDATIONS)],
    )
    def get(self, request):
        page = validated_query(RecommendationQuerySerializer, request)["page"]
        stored = http_cache.personal_copy_response(request)
        if stored is not None:
            return stored
        result = recommendations.recommendations_for_user(user=request.user, page=page)
        # Already in the response's shape (movies.payloads builds it), like the public movie lists.
        return http_cache.personal_cached_response(
            request, recommendations.user_recs_namespace(request.user.id), result.value, result,
            params=RecommendationQuerySerializer().fields,
        )
