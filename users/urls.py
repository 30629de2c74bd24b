from django.urls import path

from users import views

app_name = "users"
urlpatterns = [
    path("auth/register/", views.RegisterView.as_view(), name="register"),
    path("auth/login/", views.LoginView.as_view(), name="login"),
    path("auth/refresh/", views.RefreshView.as_view(), name="refresh"),
    path("auth/logout/", views.LogoutView.as_view(), name="logout"),
    path("users/me/", views.MeView.as_view(), name="me"),
    path("users/favorites/", views.FavoriteListView.as_view(), name="favorites"),
    path("users/favorites/<tmdb_id:movie_id>/", views.FavoriteDetailView.as_view(), name="favorite"),
    path("users/not-interested/", views.NotInterestedListView.as_view(), name="not-interested"),
    path("users/not-interested/<tmdb_id:movie_id>/", views.NotInterestedDetailView.as_view(),
         name="not-interested-detail"),
    path("users/recommendations/", views.RecommendationsView.as_view(), name="recommendations"),
]
