"""Test fakes and fixtures (scripted upstream model server …). Never imported by hegui itself."""
