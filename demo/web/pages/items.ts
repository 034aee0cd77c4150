// Shopping list: add and remove items (the list and the count in the navigation update
// at once), and a checkout that fails on the server with HTTP 500 and is logged with
// console.error.

import { api } from '../api.ts';
import { h } from '../dom.ts';
import type { Page } from '../router.ts';
import { add, reload, remove, subscribe } from '../store.ts';
import type { Item } from '../store.ts';

export const itemsPage: Page = {
  title: 'Shopping list',
  render(view) {
    const input = h('input', { id: 'new-item', name: 'name', placeholder: 'Add an item, e.g. oat milk', maxlength: '80', autocomplete: 'off' });
    const form = h('form', { id: 'add-item', class: 'inline' }, input, h('button', { id: 'add-button', type: 'submit', class: 'primary' }, 'Add'));
    const list = h('ul', { id: 'items', class: 'items' });
    const status = h('p', { id: 'list-status', class: 'status' });
    const checkout = h('button', { id: 'checkout' }, 'Checkout');
    const checkoutStatus = h('p', { id: 'checkout-status', class: 'status', role: 'alert' });

    const row = (item: Item): HTMLLIElement => {
      const removeButton = h('button', { class: 'remove', 'data-id': String(item.id) }, 'Remove');
      removeButton.addEventListener('click', () => {
        removeButton.disabled = true;
        remove(item.id).then(() => { status.textContent = `Removed "${item.name}".`; }, (err: Error) => { status.textContent = err.message; removeButton.disabled = false; });
      });
      return h('li', { 'data-id': String(item.id) }, h('span', {}, item.name), removeButton);
    };

    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const name = input.value.trim();
      if (!name) {
        status.textContent = 'Type a name first.';
        return;
      }
      add(name).then(() => { input.value = ''; status.textContent = `Added "${name}".`; }, (err: Error) => { status.textContent = err.message; });
    });

    checkout.addEventListener('click', async () => {
      checkout.disabled = true;
      checkoutStatus.className = 'status';
      checkoutStatus.textContent = 'Paying…';
      try {
        await api('POST', '/checkout', {});
        checkoutStatus.className = 'status ok';
        checkoutStatus.textContent = 'Paid. Thank you!';
      } catch (err) {
        console.error('checkout failed:', (err as Error).message);
        checkoutStatus.className = 'status error';
        checkoutStatus.textContent = 'Checkout failed. Please try again later.';
      } finally {
        checkout.disabled = false;
      }
    });

    view.append(h('h1', {}, 'Shopping list'), form, status, list, checkout, checkoutStatus);
    const unsubscribe = subscribe((items) => list.replaceChildren(...items.map(row)));
    reload().catch((err: Error) => { status.textContent = err.message; });
    return unsubscribe;
  },
};
