// Contact: a form with text inputs and a textarea, posted as JSON. What is typed here is
// masked in the recording.

import { api } from '../api.ts';
import { h } from '../dom.ts';
import type { Page } from '../router.ts';

export const contactPage: Page = {
  title: 'Contact',
  render(view) {
    const name = h('input', { id: 'contact-name', name: 'name', required: '', maxlength: '80', placeholder: 'Jane Doe' });
    const email = h('input', { id: 'contact-email', name: 'email', type: 'email', required: '', maxlength: '200', placeholder: 'jane@example.com' });
    const message = h('textarea', { id: 'contact-message', name: 'message', rows: '4', required: '', maxlength: '2000' });
    const status = h('p', { id: 'contact-status', class: 'status' });
    const form = h('form', { id: 'contact-form', class: 'stacked' },
      h('label', {}, 'Name', name),
      h('label', {}, 'Email', email),
      h('label', {}, 'Message', message),
      h('button', { id: 'send', type: 'submit', class: 'primary' }, 'Send'));

    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      status.className = 'status';
      status.textContent = 'Sending…';
      try {
        const { ticket } = await api<{ ticket: number }>('POST', '/contact', { name: name.value, email: email.value, message: message.value });
        form.reset();
        status.className = 'status ok';
        status.textContent = `Thanks! Your ticket number is ${ticket}.`;
      } catch (err) {
        status.className = 'status error';
        status.textContent = (err as Error).message;
      }
    });

    view.append(h('h1', {}, 'Contact us'), h('p', {}, 'We answer within a day.'), form, status);
  },
};
