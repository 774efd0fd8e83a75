from tests.factories import add_member, make_community, make_product, make_supplier, make_tag, make_user


def test_factories_build_a_small_world():
    dry = make_tag("skin", "dry")
    supplier = make_supplier(staff=(make_user(),))
    product = make_product(supplier, tags=(dry,))
    community = make_community()
    member = add_member(community, tags=(dry,))
    assert product.tags == [dry]
    assert member.id != community.owner_id
