"""Read each member's Party post text once into Post rows staff can check."""

from django.db import migrations

from members.posts import posts_from_text

PATH_STEP = 9


def infer(apps, schema_editor):
    Member = apps.get_model("members", "Member")
    Organization = apps.get_model("organizations", "Organization")
    Post = apps.get_model("members", "Post")
    organizations = {o.pk: o for o in Organization.objects.all()}
    by_path = {o.path: o for o in organizations.values()}
    heads = set()
    posts = []
    for member in Member.objects.exclude(party_post="").iterator():
        cell = organizations[member.organization_id]
        chain = [
            by_path[cell.path[:end]]
            for end in range(len(cell.path), 0, -PATH_STEP)
            if cell.path[:end] in by_path
        ]
        for organization, kind in posts_from_text(member.party_post, chain):
            if kind == "secretary":
                if organization.pk in heads:
                    continue
                heads.add(organization.pk)
            posts.append(Post(member=member, organization=organization, kind=kind))
    Post.objects.bulk_create(posts, batch_size=2000)


class Migration(migrations.Migration):
    dependencies = [("members", "0002_party_posts")]
    operations = [migrations.RunPython(infer, migrations.RunPython.noop)]
