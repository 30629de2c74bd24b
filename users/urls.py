# Auth and Users endpoints (issue 3) are mounted here under /api/.
app_name = "users"
urlpatterns: list = []
